import type { Principal } from '../common/auth/principal';
import type { DomainException } from '../common/errors/domain.exception';
import { assertChangeWithin, assertMayManageRestricted, restrictionsForNewKey } from './key-restriction-inheritance';

const day = new Date('2030-01-02T00:00:00.000Z');
const caller = (r: { expiresAt?: Date | null; allowedIps?: string[]; allowedReferrers?: string[] } = {}) =>
  ({ expiresAt: r.expiresAt ?? null, allowedIps: r.allowedIps ?? [], allowedReferrers: r.allowedReferrers ?? [] }) as Partial<Principal> as Principal;
const refusal = (fn: () => unknown) => {
  try {
    fn();
  } catch (err) {
    const e = err as DomainException;
    return { code: e.code, fields: e.details?.map((d) => d.field) };
  }
  return 'none';
};
const ips = (outer: string[], inner: string[]) => refusal(() => assertChangeWithin(caller({ allowedIps: outer }), { allowedIps: inner }));
const refs = (outer: string[], inner: string[]) =>
  refusal(() => assertChangeWithin(caller({ allowedReferrers: outer }), { allowedReferrers: inner }));
const IPS_REFUSED = { code: 'INSUFFICIENT_SCOPE', fields: ['allowed_ips'] };
const REFS_REFUSED = { code: 'INSUFFICIENT_SCOPE', fields: ['allowed_referrers'] };

describe('restrictions of keys made or changed by a key', () => {
  it('inherit every restriction the request leaves out', () => {
    const maker = caller({ expiresAt: day, allowedIps: ['10.0.0.0/8'], allowedReferrers: ['https://*.example.com'] });
    expect(restrictionsForNewKey(maker, {})).toEqual({ expiresAt: day, allowedIps: ['10.0.0.0/8'], allowedReferrers: ['https://*.example.com'] });
    expect(restrictionsForNewKey(maker, { allowedIps: ['10.1.2.3'] }).allowedIps).toEqual(['10.1.2.3']);
  });

  it('leave an unrestricted maker free', () => {
    expect(restrictionsForNewKey(caller(), {})).toEqual({ expiresAt: null, allowedIps: [], allowedReferrers: [] });
    expect(restrictionsForNewKey(caller(), { expiresAt: null, allowedIps: ['::/0'] })).toEqual({ expiresAt: null, allowedIps: ['::/0'], allowedReferrers: [] });
  });

  it('expire no later than the maker', () => {
    const maker = caller({ expiresAt: day });
    expect(refusal(() => assertChangeWithin(maker, { expiresAt: null }))).toEqual({ code: 'INSUFFICIENT_SCOPE', fields: ['expires_at'] });
    expect(refusal(() => assertChangeWithin(maker, { expiresAt: new Date(day.getTime() + 1) }))).toEqual({ code: 'INSUFFICIENT_SCOPE', fields: ['expires_at'] });
    expect(refusal(() => assertChangeWithin(maker, { expiresAt: day }))).toBe('none');
  });

  it('allow only IP ranges wholly inside one of the maker\'s', () => {
    expect(ips(['10.0.0.0/8'], ['10.0.0.0/8', '10.255.255.255', '10.4.0.0/16'])).toBe('none');
    expect(ips(['10.0.0.0/8'], [])).toEqual(IPS_REFUSED);
    expect(ips(['10.0.0.0/8'], ['10.0.0.0/7'])).toEqual(IPS_REFUSED);
    expect(ips(['10.0.0.0/8'], ['11.0.0.1'])).toEqual(IPS_REFUSED);
    expect(ips(['10.0.0.5/8'], ['10.9.9.9'])).toBe('none');
    expect(ips(['10.0.0.0/24', '10.0.1.0/24'], ['10.0.0.0/23'])).toEqual(IPS_REFUSED);
    expect(ips(['2001:db8::/32'], ['2001:db8:1::/48', '2001:db8::1'])).toBe('none');
    expect(ips(['2001:db8::/32'], ['2001:db9::/48'])).toEqual(IPS_REFUSED);
    // Compared as clients are matched: a mapped rule is the IPv4 rule it maps, and ::/0 holds every IPv4 client.
    expect(ips(['10.0.0.0/8'], ['::ffff:10.0.0.1', '::ffff:10.0.0.0/104'])).toBe('none');
    expect(ips(['10.0.0.0/8'], ['::ffff:11.0.0.1'])).toEqual(IPS_REFUSED);
    expect(ips(['::/0'], ['10.0.0.1', '0.0.0.0/0', '2001:db8::/32'])).toBe('none');
    expect(ips(['2001:db8::/32'], ['10.0.0.1'])).toEqual(IPS_REFUSED);
    expect(ips(['0.0.0.0/0'], ['::/0'])).toEqual(IPS_REFUSED);
    expect(ips(['10.0.0.0/8'], ['not-an-ip'])).toEqual(IPS_REFUSED);
  });

  it('allow only referrer patterns whose every origin the maker\'s patterns match', () => {
    expect(refs(['https://*.example.com'], ['https://app.example.com', 'https://*.eu.example.com', 'https://*.example.com'])).toBe('none');
    expect(refs(['https://*.example.com'], ['https://example.com'])).toEqual(REFS_REFUSED);
    expect(refs(['https://*.example.com'], ['https://*.notexample.com'])).toEqual(REFS_REFUSED);
    expect(refs(['https://*.example.com'], ['https://xexample.com'])).toEqual(REFS_REFUSED);
    expect(refs(['https://*.example.com'], ['http://app.example.com'])).toEqual(REFS_REFUSED);
    expect(refs(['https://*.example.com'], ['https://app.example.com:8443'])).toEqual(REFS_REFUSED);
    expect(refs(['https://*.example.com'], ['https://app.example.com:443'])).toBe('none');
    expect(refs(['https://*.example.com:443'], ['https://app.example.com'])).toBe('none');
    expect(refs(['https://app.example.com'], ['https://*.app.example.com'])).toEqual(REFS_REFUSED);
    expect(refs(['https://app.example.com', 'http://localhost:3000'], ['HTTP://LOCALHOST:3000'])).toBe('none');
    expect(refs(['https://app.example.com'], [])).toEqual(REFS_REFUSED);
  });

  it('name every field that is wider, and keep a key from managing a wider one', () => {
    const maker = caller({ expiresAt: day, allowedIps: ['10.0.0.0/8'], allowedReferrers: ['https://a.test'] });
    const wide = { expiresAt: null, allowedIps: [], allowedReferrers: [] };
    expect(refusal(() => assertMayManageRestricted(maker, wide))).toEqual({ code: 'INSUFFICIENT_SCOPE', fields: ['expires_at', 'allowed_ips', 'allowed_referrers'] });
    expect(refusal(() => assertMayManageRestricted(maker, { expiresAt: day, allowedIps: ['10.1.0.0/16'], allowedReferrers: ['https://a.test'] }))).toBe('none');
    expect(refusal(() => assertMayManageRestricted(caller(), wide))).toBe('none');
  });
});
