/** A growable FIFO of (op, intended start) pairs: ops that are due and wait for room to be sent. */
export class OpFifo {
  private ops = new Int32Array(256);
  private times = new Float64Array(256);
  private head = 0;
  size = 0;
  lastIntended = 0;

  push(op: number, intended: number): void {
    if (this.size === this.ops.length) this.grow();
    const j = (this.head + this.size) & (this.ops.length - 1);
    this.ops[j] = op;
    this.times[j] = intended;
    this.size++;
  }

  shift(): number {
    const op = this.ops[this.head] ?? -1;
    this.lastIntended = this.times[this.head] ?? 0;
    this.head = (this.head + 1) & (this.ops.length - 1);
    this.size--;
    return op;
  }

  private grow(): void {
    const n = this.ops.length * 2;
    const ops = new Int32Array(n);
    const times = new Float64Array(n);
    for (let k = 0; k < this.size; k++) {
      const j = (this.head + k) & (this.ops.length - 1);
      ops[k] = this.ops[j] ?? 0;
      times[k] = this.times[j] ?? 0;
    }
    this.ops = ops;
    this.times = times;
    this.head = 0;
  }
}
