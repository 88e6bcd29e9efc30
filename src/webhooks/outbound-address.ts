import { isIP, type LookupFunction } from 'node:net';
import { isPublicAddress } from './address-policy';
import type { Resolver } from './webhook-options';

/** Why an outbound connection was refused before it was made. */
export class BlockedAddressError extends Error {
  readonly code = 'WEBHOOK_ADDRESS_BLOCKED';
}

const blocked = (host: string, address: string) =>
  new BlockedAddressError(`${host === address ? host : `${host} resolves to ${address}`}, a private, loopback, link-local or reserved address, is not allowed`);

/** The host of a URL as DNS and IP checks see it (IPv6 literals without brackets). */
export const bareHost = (url: URL): string => url.hostname.replace(/^\[(.*)\]$/, '$1');

/**
 * A `lookup` for node:http(s) that resolves with `resolve` and refuses the connection when any
 * address the name has is not public: the check runs at every connect, on the address connected
 * to, so a name that changes its answer after it was accepted (DNS rebinding) cannot reach inside.
 */
export function guardedLookup(resolve: Resolver, allowPrivate: boolean): LookupFunction {
  return (hostname, options, callback) => {
    resolve(hostname, (err, addresses) => {
      if (err) return callback(err, '', 4);
      if (!addresses.length) return callback(Object.assign(new Error(`${hostname} has no address`), { code: 'ENOTFOUND' }), '', 4);
      const refused = allowPrivate ? undefined : addresses.find((a) => !isPublicAddress(a.address));
      if (refused) return callback(blocked(hostname, refused.address), '', 4);
      const usable = options.family ? addresses.filter((a) => a.family === options.family) : addresses;
      if (options.all) return (callback as unknown as (e: null, a: typeof addresses) => void)(null, usable);
      const first = usable[0] ?? addresses[0];
      callback(null, first.address, first.family);
    });
  };
}

/** Refuses an IP literal that is not public (node:net connects to literals without a lookup). */
export function assertLiteralAllowed(url: URL, allowPrivate: boolean): void {
  const host = bareHost(url);
  if (!allowPrivate && isIP(host) && !isPublicAddress(host)) throw blocked(host, host);
}

/** Resolves `url`'s host now (at create and update) and refuses it when any address is not public. */
export async function checkResolvesPublic(url: URL, resolve: Resolver): Promise<void> {
  const host = bareHost(url);
  if (isIP(host)) return assertLiteralAllowed(url, false);
  const addresses = await new Promise<{ address: string }[]>((done, fail) =>
    resolve(host, (err, found) => (err ? fail(err) : done(found))),
  );
  if (!addresses.length) throw Object.assign(new Error(`${host} has no address`), { code: 'ENOTFOUND' });
  const refused = addresses.find((a) => !isPublicAddress(a.address));
  if (refused) throw blocked(host, refused.address);
}
