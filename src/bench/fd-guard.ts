/**
 * A socket written by one thread (the sender, with write(2) on its fd) and owned by another (the
 * receiver, whose event loop reads it and closes it). Closing while a write is under way, or writing
 * after the close, could write into whatever file next gets that fd number; this cell orders the two:
 * a write holds the cell, the close waits for it and retires the fd for good.
 */
const FREE = 0;
const WRITING = 1;
const RETIRED = 2;

export class FdGuard {
  private readonly cell: Int32Array;

  constructor(buffer: SharedArrayBuffer = new SharedArrayBuffer(4)) {
    this.cell = new Int32Array(buffer);
  }

  get buffer(): SharedArrayBuffer {
    return this.cell.buffer as SharedArrayBuffer;
  }

  /** Writer: run `write` unless the fd was retired; false when it was. */
  withFd(write: () => void): boolean {
    if (Atomics.compareExchange(this.cell, 0, FREE, WRITING) !== FREE) return false;
    try {
      write();
    } finally {
      Atomics.store(this.cell, 0, FREE);
      Atomics.notify(this.cell, 0);
    }
    return true;
  }

  get retired(): boolean {
    return Atomics.load(this.cell, 0) === RETIRED;
  }

  /** Owner: wait for a write under way (µs), then retire the fd so no later write touches it. */
  retire(): void {
    for (;;) {
      const v = Atomics.compareExchange(this.cell, 0, FREE, RETIRED);
      if (v === FREE || v === RETIRED) return;
      Atomics.wait(this.cell, 0, WRITING, 5);
    }
  }
}
