import { SetMetadata } from '@nestjs/common';

export const ACCEPTED_CREDENTIAL = 'latchkey:accepted-credential';
export type AcceptedCredential = 'key' | 'session';

/** A route for services and gateways: an API key only, never a console session. */
export const KeyOnly = () => SetMetadata(ACCEPTED_CREDENTIAL, 'key' satisfies AcceptedCredential);
/** A route about the console session itself: the session cookie only. */
export const SessionOnly = () => SetMetadata(ACCEPTED_CREDENTIAL, 'session' satisfies AcceptedCredential);
