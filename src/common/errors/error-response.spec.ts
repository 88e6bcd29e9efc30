import { Logger } from '@nestjs/common';
import { toErrorResponse } from './error-response';

const KEY = `lk_live_${'A1b2C3d4E5'.repeat(4)}abcdefgh`;

describe('toErrorResponse logging', () => {
  afterEach(() => jest.restoreAllMocks());

  it('logs an unhandled error without a key quoted in its message or stack', () => {
    const error = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    const res = toErrorResponse(new Error(`GET /v1/me;key=${KEY} failed`), 'req_1');
    expect(res.status).toBe(500);
    expect(error).toHaveBeenCalled();
    const logged = JSON.stringify(error.mock.calls);
    expect(logged).not.toContain(KEY);
    expect(logged).toContain('[redacted]');
  });

  it('logs a dependency failure without a key quoted in its message', () => {
    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    const res = toErrorResponse(Object.assign(new Error(`Connection terminated while sending ${KEY}`), { code: 'ECONNRESET' }), 'req_2');
    expect(res.status).toBe(503);
    expect(JSON.stringify(warn.mock.calls)).not.toContain(KEY);
  });
});
