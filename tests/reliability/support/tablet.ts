// Pairing an advisor tablet as store IT and the tablet do it: a code from the admin API,
// redeemed on the advisor page for the token cookie.

export async function pairTablet(httpUrl: string, zones: readonly string[], adminToken?: string): Promise<string> {
  const made = await fetch(`${httpUrl}/admin/pairing-codes`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(adminToken === undefined ? {} : { authorization: `Bearer ${adminToken}` }) },
    body: JSON.stringify({ label: 'reliability', zones }),
  });
  if (made.status !== 200) throw new Error(`pairing code refused: ${made.status} ${await made.text()}`);
  const { code } = (await made.json()) as { code: string };
  const paired = await fetch(`${httpUrl}/advisor/pair`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ code }) });
  const cookie = paired.headers.get('set-cookie') ?? '';
  const token = /vitrin_tablet=([^;]*)/.exec(cookie)?.[1];
  if (paired.status !== 200 || token === undefined || token === '') throw new Error(`pairing failed: ${paired.status}`);
  return token;
}
