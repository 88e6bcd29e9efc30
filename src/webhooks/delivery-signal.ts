import { Injectable } from '@nestjs/common';

/** Tells this instance's delivery worker that work became due (after a commit), without waiting for its poll. */
@Injectable()
export class DeliverySignal {
  private listener?: () => void;

  onWake(listener: () => void): void {
    this.listener = listener;
  }

  wake(): void {
    this.listener?.();
  }
}
