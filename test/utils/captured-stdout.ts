/**
 * What the service writes to stdout (its JSON log lines) while a spec runs: kept instead of
 * printed, so the spec can read the request log and prove no secret ever reaches it.
 */
export class CapturedStdout {
  private readonly chunks: string[] = [];
  private spy?: jest.SpyInstance;

  /** Call before the service starts, so its logger writes here. */
  start(): void {
    this.spy = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      this.chunks.push(String(chunk));
      return true;
    });
  }

  stop(): void {
    this.spy?.mockRestore();
  }

  clear(): void {
    this.chunks.length = 0;
  }

  get text(): string {
    return this.chunks.join('');
  }
}
