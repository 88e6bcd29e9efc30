/** Dates in the viewer's own time zone and locale. */
const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });
const dateOnly = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium' });
const number = new Intl.NumberFormat();

export const formatDateTime = (iso: string | null | undefined) => (iso ? dateTime.format(new Date(iso)) : '');
export const formatDate = (iso: string | null | undefined) => (iso ? dateOnly.format(new Date(iso)) : '');
export const formatNumber = (n: number) => number.format(n);
export const timeZone = () => Intl.DateTimeFormat().resolvedOptions().timeZone;

/** `<input type="date">` value → the end of that day in the viewer's zone, as ISO; '' → null. */
export function endOfDay(value: string): string | null {
  if (!value) return null;
  const [y, m, d] = value.split('-').map(Number);
  return new Date(y, m - 1, d, 23, 59, 59).toISOString();
}
/** `<input type="date">` value → the start of that day in the viewer's zone, as ISO. */
export function startOfDay(value: string): string | undefined {
  if (!value) return undefined;
  const [y, m, d] = value.split('-').map(Number);
  return new Date(y, m - 1, d).toISOString();
}
/** ISO → the viewer's calendar date for `<input type="date">`. */
export function toDateInput(iso: string | null | undefined): string {
  if (!iso) return '';
  const date = new Date(iso);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
}

/** Lines or commas → a clean list. */
export const toList = (text: string) =>
  text
    .split(/[\n,]/)
    .map((s) => s.trim())
    .filter(Boolean);

export const WEEK_MS = 7 * 24 * 3600 * 1000;

/** Calendar days from today to the day of `iso`, both in the viewer's zone (0 = today). */
function daysUntil(iso: string, now = new Date()): number {
  const then = new Date(iso);
  const day = (d: Date) => Date.UTC(d.getFullYear(), d.getMonth(), d.getDate());
  return Math.round((day(then) - day(now)) / 86_400_000);
}

/** "expires today" / "expires in 1 day" / "expires in N days" for a key expiring within 7 days; null otherwise. */
export function expirySoon(expiresAt: string | null | undefined, now = new Date()): string | null {
  if (!expiresAt || Date.parse(expiresAt) <= now.getTime()) return null;
  const days = daysUntil(expiresAt, now);
  if (days > 7) return null;
  if (days <= 0) return 'expires today';
  return days === 1 ? 'expires in 1 day' : `expires in ${days} days`;
}
