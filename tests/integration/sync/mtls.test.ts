import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpCloudTransport } from '../../../adapters/cloud-http/http-cloud-transport.js';

// The cloud transport with mTLS: a real HTTPS server on loopback that trusts only
// client certificates signed by its CA, as a cloud in front of a fleet would.

const dir = mkdtempSync(join(tmpdir(), 'vitrin-mtls-'));
const file = (name: string) => join(dir, name);

function openssl(...args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });
}

function certificates(): void {
  openssl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '2', '-subj', '/CN=test-ca', '-keyout', 'ca.key', '-out', 'ca.crt');
  writeFileSync(file('server.ext'), 'subjectAltName=IP:127.0.0.1\n');
  openssl('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-subj', '/CN=127.0.0.1', '-keyout', 'server.key', '-out', 'server.csr');
  openssl('x509', '-req', '-in', 'server.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '2', '-extfile', 'server.ext', '-out', 'server.crt');
  openssl('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-subj', '/CN=gateway-kadikoy-01', '-keyout', 'client.key', '-out', 'client.csr');
  openssl('x509', '-req', '-in', 'client.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '2', '-out', 'client.crt');
}

describe('cloud transport over mTLS', () => {
  let server: Server;
  let url = '';

  beforeAll(async () => {
    certificates();
    server = createServer({ key: readFileSync(file('server.key')), cert: readFileSync(file('server.crt')), ca: readFileSync(file('ca.crt')), requestCert: true, rejectUnauthorized: true }, (req, res) => {
      const peer = (req.socket as TLSSocket).getPeerCertificate();
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ client: peer.subject.CN }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    rmSync(dir, { recursive: true, force: true });
  });

  it('presents the client certificate and trusts the configured CA', async () => {
    const transport = new HttpCloudTransport({ url, tls: { cert: file('client.crt'), key: file('client.key'), ca: file('ca.crt') } });
    await transport.start();
    const response = await transport.request({ method: 'GET', path: '/v1/stores/kadikoy-01/packages', headers: {}, timeoutMs: 5000 });
    expect(response.status).toBe(200);
    expect(JSON.parse(response.body.toString())).toEqual({ client: 'gateway-kadikoy-01' });
    await transport.close();
  });

  it('is refused without a client certificate, and refuses a cloud its CA did not sign', async () => {
    const anonymous = new HttpCloudTransport({ url, tls: { cert: '', key: '', ca: file('ca.crt') } });
    await anonymous.start();
    await expect(anonymous.request({ method: 'GET', path: '/', headers: {}, timeoutMs: 5000 })).rejects.toThrow();
    await anonymous.close();
    const untrusting = new HttpCloudTransport({ url, tls: { cert: file('client.crt'), key: file('client.key'), ca: '' } });
    await untrusting.start();
    await expect(untrusting.request({ method: 'GET', path: '/', headers: {}, timeoutMs: 5000 })).rejects.toThrow(/certificate/);
    await untrusting.close();
  });

  it('reports an unreadable TLS file at start with its code', async () => {
    await expect(new HttpCloudTransport({ url, tls: { cert: file('missing.crt'), key: file('client.key'), ca: '' } }).start()).rejects.toMatchObject({ code: 'VITRIN_ERR_CLOUD_CONFIG' });
  });
});
