import type { Config } from '../config/schema.js';
import type { DoctorCheck, DoctorHost } from './host.js';

// The running service, the MQTT broker and the cloud, as seen from this box.

const CONNECT_TIMEOUT_MS = 3_000;
const DEFAULT_PORTS: Readonly<Record<string, number>> = { 'mqtt:': 1883, 'tcp:': 1883, 'mqtts:': 8883, 'ssl:': 8883, 'tls:': 8883, 'ws:': 80, 'wss:': 443, 'http:': 80, 'https:': 443 };

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** Where a client on this box reaches a listener bound to `host`. */
function localHost(host: string): string {
  if (host === '0.0.0.0') return '127.0.0.1';
  if (host === '::') return '::1';
  return host;
}

function hostPort(host: string, port: number): string {
  return `${host.includes(':') ? `[${host}]` : host}:${port}`;
}

function endpoint(url: string): { host: string; port: number } | undefined {
  try {
    const parsed = new URL(url);
    const port = parsed.port === '' ? DEFAULT_PORTS[parsed.protocol] : Number(parsed.port);
    if (port === undefined || parsed.hostname === '') return undefined;
    return { host: parsed.hostname.replace(/^\[(.*)\]$/, '$1'), port };
  } catch {
    return undefined;
  }
}

const JOURNAL = 'sudo systemctl status vitrin; journalctl -u vitrin -n 50 -o cat';

/** A gateway answering on http.port, and whether it says it is ready. `running` feeds the broker check. */
export async function serviceCheck(config: Config, host: DoctorHost): Promise<{ check: DoctorCheck; running: boolean }> {
  const { port } = config.http;
  if (port === 0) return { check: { id: 'service', status: 'ok', detail: 'http.port 0: a new port at every start, nothing to probe' }, running: false };
  const where = hostPort(localHost(config.http.host), port);
  const answer = await host.httpGet(`http://${where}/readyz`, 2_000);
  if (answer === undefined) {
    const problem = await host.canListen(config.http.host, port);
    if (problem === 'EADDRINUSE') {
      return {
        check: { id: 'service', status: 'fail', detail: `http.port ${port} is taken by a program that is not Vitrin (VITRIN_ERR_HTTP_LISTEN)`, fix: `find it: sudo ss -ltnp 'sport = :${port}'; stop it, or set http.port` },
        running: false,
      };
    }
    return { check: { id: 'service', status: 'warn', detail: `no gateway answers on http://${where} (not running?)`, fix: JOURNAL }, running: false };
  }
  if (answer.status === 200) return { check: { id: 'service', status: 'ok', detail: `a gateway answers on http://${where} and is ready` }, running: true };
  let down = '';
  try {
    const body = JSON.parse(answer.body) as unknown;
    if (isRecord(body) && isRecord(body.checks)) down = Object.keys(body.checks).filter((key) => isRecord(body.checks) && body.checks[key] !== true).join(', ');
  } catch {
    // Not Vitrin's JSON: said below.
  }
  const detail =
    answer.status === 503 && down !== ''
      ? `a gateway answers on http://${where} but is not ready: ${down} down`
      : `something answers on http://${where} with HTTP ${answer.status}, not a ready Vitrin`;
  return { check: { id: 'service', status: 'warn', detail, fix: JOURNAL }, running: true };
}

async function listenerCheck(host: DoctorHost, what: string, listen: string, port: number, running: boolean): Promise<DoctorCheck | undefined> {
  if (port === 0) return undefined;
  const problem = await host.canListen(listen, port);
  if (problem === undefined) return undefined;
  if (problem === 'EADDRINUSE' && running) return undefined;
  if (problem === 'EADDRINUSE') {
    return {
      id: 'broker',
      status: 'fail',
      detail: `the embedded broker's ${what} ${hostPort(listen, port)} is taken by another program (VITRIN_ERR_MQTT_BROKER_LISTEN)`,
      fix: `find it: sudo ss -ltnp 'sport = :${port}' (often Mosquitto: sudo systemctl disable --now mosquitto, or use it: mqtt.url); or set mqtt.embedded.port / mqtt.tls.port`,
    };
  }
  return { id: 'broker', status: 'fail', detail: `the embedded broker cannot listen on ${hostPort(listen, port)} (${problem}) (VITRIN_ERR_MQTT_BROKER_LISTEN)`, fix: 'use a port above 1023 and an address of this box in mqtt.embedded / mqtt.tls' };
}

export async function brokerCheck(config: Config, host: DoctorHost, running: boolean): Promise<DoctorCheck> {
  const { url, embedded, tls } = config.mqtt;
  if (url === '') {
    const plain = await listenerCheck(host, 'plain listener', embedded.host, embedded.port, running);
    if (plain !== undefined) return plain;
    const secure = tls.cert === '' ? undefined : await listenerCheck(host, 'TLS listener', tls.host, tls.port, running);
    if (secure !== undefined) return secure;
    const ports = `${hostPort(embedded.host, embedded.port)}${tls.cert === '' ? '' : ` and TLS ${hostPort(tls.host, tls.port)}`}`;
    return { id: 'broker', status: 'ok', detail: running ? `embedded broker on ${ports}, in the running gateway` : `embedded broker: ${ports} free to listen on` };
  }
  const target = endpoint(url);
  if (target === undefined) return { id: 'broker', status: 'fail', detail: `mqtt.url ${url} names no host and port`, fix: 'set mqtt.url like mqtt://127.0.0.1:1883 or mqtts://vitrin-gw.store.lan:8883' };
  const problem = await host.tcpConnect(target.host, target.port, CONNECT_TIMEOUT_MS);
  if (problem !== undefined) {
    return {
      id: 'broker',
      status: 'fail',
      detail: `cannot reach the broker at ${hostPort(target.host, target.port)} (${problem}) (VITRIN_ERR_MQTT_CONNECT)`,
      fix: `start the broker (Mosquitto on this box: sudo systemctl status mosquitto; a receiver box: is the gateway running?), check mqtt.url and that no firewall blocks ${hostPort(target.host, target.port)}`,
    };
  }
  const login = config.mqtt.username !== '' && config.mqtt.password === '';
  if (login) {
    return { id: 'broker', status: 'warn', detail: `reached ${hostPort(target.host, target.port)}, but mqtt.username ${config.mqtt.username} has no mqtt.password`, fix: 'set mqtt.password (or VITRIN_MQTT__PASSWORD in /etc/vitrin/environment) to the password whose hash the gateway holds' };
  }
  return { id: 'broker', status: 'ok', detail: `reached ${hostPort(target.host, target.port)} (TCP)` };
}

/** The PEM files named in mqtt.tls that this configuration uses. */
export function brokerTlsCheck(config: Config, host: DoctorHost): DoctorCheck | undefined {
  const { url, tls } = config.mqtt;
  const files: [string, string][] = [];
  if (url === '' && config.ble.mode === 'gateway' && tls.cert !== '') files.push(['mqtt.tls.cert', tls.cert], ['mqtt.tls.key', tls.key]);
  if (url !== '' && tls.ca !== '') files.push(['mqtt.tls.ca', tls.ca]);
  if (files.length === 0) return undefined;
  const problems = files.flatMap(([setting, file]) => {
    const problem = host.fileAccess(file, 'read');
    return problem === undefined ? [] : [`${setting} ${file} (${problem})`];
  });
  if (problems.length === 0) return { id: 'broker.tls', status: 'ok', detail: `readable: ${files.map(([, file]) => file).join(', ')}` };
  return {
    id: 'broker.tls',
    status: 'fail',
    detail: `cannot read ${problems.join(', ')} (VITRIN_ERR_MQTT_TLS)`,
    fix: 'make or copy the files (README: "TLS with the embedded broker") and let the service read them: sudo chgrp vitrin <file> && sudo chmod 0640 <file>',
  };
}

/** The cloud section is optional and may be absent from this build's config: read it defensively. */
export async function cloudCheck(config: Config, host: DoctorHost): Promise<DoctorCheck> {
  const cloud = (config as unknown as Record<string, unknown>).cloud;
  const url = isRecord(cloud) && typeof cloud.url === 'string' ? cloud.url.trim() : '';
  if (url === '') return { id: 'cloud', status: 'ok', detail: 'no cloud.url configured: the gateway works offline' };
  const target = endpoint(url);
  if (target === undefined) return { id: 'cloud', status: 'warn', detail: `cloud.url ${url} names no host and port`, fix: 'set cloud.url like https://vitrin.example.com' };
  const problem = await host.tcpConnect(target.host, target.port, CONNECT_TIMEOUT_MS);
  if (problem === undefined) return { id: 'cloud', status: 'ok', detail: `reached ${hostPort(target.host, target.port)} (TCP)` };
  return {
    id: 'cloud',
    status: 'warn',
    detail: `cannot reach the cloud at ${hostPort(target.host, target.port)} (${problem}); the gateway keeps working and sends what waits in its outbox (vitrin_outbox_depth) when the cloud is back`,
    fix: `check the store's internet connection, DNS (getent hosts ${target.host}) and that the firewall or proxy lets this box reach ${hostPort(target.host, target.port)}`,
  };
}
