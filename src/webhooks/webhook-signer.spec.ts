import { Webhook } from 'standardwebhooks';
import { newSigningSecret } from './secret-box';
import { signatureHeaders } from './webhook-signer';

describe('signatureHeaders', () => {
  it('verifies with the standardwebhooks library, for either secret while two sign', () => {
    const [older, newer] = [newSigningSecret(), newSigningSecret()];
    const body = JSON.stringify({ id: 'msg_1', type: 'webhook.test' });
    const headers = signatureHeaders('msg_1', body, [newer, older]);
    expect(headers['webhook-signature'].split(' ')).toHaveLength(2);
    expect(new Webhook(newer).verify(body, headers)).toEqual(JSON.parse(body));
    expect(new Webhook(older).verify(body, headers)).toEqual(JSON.parse(body));
    expect(() => new Webhook(newSigningSecret()).verify(body, headers)).toThrow();
    expect(() => new Webhook(newer).verify(`${body} `, headers)).toThrow();
  });
});
