import type TestAgent from 'supertest/lib/agent';

/** Creates a customer account through the operator API and returns it with its first key. */
export async function createAccount(
  http: TestAgent,
  operatorKey: string,
  body: { name?: string; email?: string; plan?: string; status?: string } = {},
): Promise<{ accountId: string; key: string; keyId: string }> {
  const res = await http
    .post('/v1/admin/accounts')
    .set('X-API-Key', operatorKey)
    .send({ name: 'Acme', email: 'ops@acme.test', plan: 'pro', ...body })
    .expect(201);
  return { accountId: res.body.data.account.id, key: res.body.data.api_key.key, keyId: res.body.data.api_key.id };
}
