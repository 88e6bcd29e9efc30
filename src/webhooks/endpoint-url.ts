import { DomainException } from '../common/errors/domain.exception';
import { ErrorCode } from '../common/errors/error-code';
import { checkResolvesPublic } from './outbound-address';
import type { Resolver } from './webhook-options';

const invalid = (message: string) =>
  new DomainException(ErrorCode.ValidationFailed, 'The request is not valid.', [{ field: 'url', message }]);

/**
 * An endpoint URL as stored: absolute, https:// (http:// too when private networks are allowed), no
 * user name or password, no fragment, and (unless private networks are allowed) a host whose every
 * address is public right now. Delivery checks the address again at every connect.
 */
export async function checkEndpointUrl(text: string, allowPrivate: boolean, resolve: Resolver): Promise<string> {
  const url = URL.parse(text);
  if (!url || !/^https?:$/.test(url.protocol) || !url.hostname) throw invalid('url must be an absolute https:// URL');
  if (url.protocol !== 'https:' && !allowPrivate) throw invalid('url must start with https://');
  if (url.username || url.password) throw invalid('url must not carry a user name or password');
  if (url.hash || text.includes('#')) throw invalid('url must not carry a fragment');
  if (!allowPrivate) {
    try {
      await checkResolvesPublic(url, resolve);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EAI_AGAIN') throw new DomainException(ErrorCode.ServiceUnavailable, 'The URL\'s host could not be resolved right now. Try again shortly.');
      if (code === 'ENOTFOUND' || code === 'ENODATA') throw invalid(`url's host ${url.hostname} does not resolve`);
      throw invalid(`url must reach a public address: ${(err as Error).message}`);
    }
  }
  return url.toString();
}
