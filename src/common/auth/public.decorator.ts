import { SetMetadata } from '@nestjs/common';

export const IS_PUBLIC = 'latchkey:public';
/** Opts a route out of the global API-key guard. Only health and documentation use it. */
export const Public = () => SetMetadata(IS_PUBLIC, true);
