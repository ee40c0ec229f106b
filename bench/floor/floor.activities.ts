import { Agent, request } from 'undici';

const agent = new Agent({ connections: 64 });

export async function post(url: string, body: string): Promise<number> {
  const res = await request(url, { method: 'POST', body, headers: { 'content-type': 'application/json' }, dispatcher: agent });
  await res.body.dump();
  return res.statusCode;
}
