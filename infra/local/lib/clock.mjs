// The facade's notion of time. Wait states and retry back-offs never sleep directly:
// they register a wait here, so a test can hold them ("controlled" mode) and release them
// by moving the clock, instead of sleeping through real escalation delays.
//
// In "real" mode a wait is a timer for (target - now) * scale real milliseconds, where the
// scale lets a replay compress long waits. In "controlled" mode time stands still until
// set/advance, and a wait is released once the controlled time reaches its target.

// setTimeout silently fires at once for delays above 2^31-1 ms (~24.8 days).
const MAX_TIMER_MS = 2 ** 31 - 1;

export class Clock {
  constructor({ mode = 'real' } = {}) {
    if (mode !== 'real' && mode !== 'controlled') throw new Error(`unknown clock mode "${mode}"`);
    this.mode = mode;
    this.controlledNow = Date.now();
    this.pending = new Map();
    this.seq = 0;
  }

  now() {
    return this.mode === 'controlled' ? this.controlledNow : Date.now();
  }

  // info: { executionArn, stateName, kind: 'wait' | 'retry', scale }
  // Returns the wait; `await wait.promise` yields 'released' or 'cancelled'.
  waitUntil(target, info) {
    const wait = { id: ++this.seq, target, scale: 1, ...info };
    wait.promise = new Promise((resolve) => {
      wait.resolve = resolve;
    });
    this.pending.set(wait.id, wait);
    if (this.mode === 'real') this.#schedule(wait);
    else if (target <= this.controlledNow) this.#release(wait, 'released');
    return wait;
  }

  hasPendingFor(executionArn) {
    for (const w of this.pending.values()) if (w.executionArn === executionArn) return true;
    return false;
  }

  cancelFor(executionArn) {
    for (const w of [...this.pending.values()]) {
      if (w.executionArn === executionArn) this.#release(w, 'cancelled');
    }
  }

  cancelAll() {
    for (const w of [...this.pending.values()]) this.#release(w, 'cancelled');
  }

  // Waits sorted the way they will be released: by target, then by registration order.
  list() {
    return [...this.pending.values()].sort((a, b) => a.target - b.target || a.id - b.id);
  }

  setMode(mode) {
    if (mode !== 'real' && mode !== 'controlled') throw new Error(`unknown clock mode "${mode}"`);
    if (mode === this.mode) return;
    if (mode === 'controlled') {
      // Freeze "now" and keep every pending wait's remaining duration.
      const realNow = Date.now();
      this.controlledNow = realNow;
      for (const w of this.pending.values()) {
        clearTimeout(w.timer);
        w.target = this.controlledNow + Math.max(0, w.target - realNow);
      }
      this.mode = mode;
    } else {
      const realNow = Date.now();
      for (const w of this.pending.values()) {
        w.target = realNow + Math.max(0, w.target - this.controlledNow);
      }
      this.mode = mode;
      for (const w of this.pending.values()) this.#schedule(w);
    }
  }

  // Jumps the controlled clock (forwards or backwards) and releases whatever became due.
  set(nowMs) {
    this.setMode('controlled');
    this.controlledNow = nowMs;
    return this.#releaseDue();
  }

  // Moves controlled time forward to `toMs`. With `settle`, time moves in steps: to the
  // earliest due wait, release the waits due at that instant, let the executions run until
  // they are idle again (`settle()`), and repeat. That way a wait entered at t1 for N seconds
  // ends at t1+N even when a single advance spans both, just as it would in real time.
  async advance(toMs, { settle } = {}) {
    if (this.mode !== 'controlled') throw new ClockError(409, 'the clock is in real mode; POST /_admin/clock/set first');
    if (toMs < this.controlledNow) {
      throw new ClockError(400, `cannot advance backwards from ${iso(this.controlledNow)} to ${iso(toMs)}`);
    }
    const released = [];
    if (settle) {
      await settle();
      for (;;) {
        const next = this.list()[0];
        if (!next || next.target > toMs) break;
        this.controlledNow = Math.max(this.controlledNow, next.target);
        released.push(...this.#releaseDue());
        await settle();
      }
    }
    this.controlledNow = toMs;
    const last = this.#releaseDue();
    released.push(...last);
    if (settle && last.length) await settle();
    return released;
  }

  #releaseDue() {
    const due = this.list().filter((w) => w.target <= this.controlledNow);
    for (const w of due) this.#release(w, 'released');
    return due.map(describeWait);
  }

  #schedule(wait) {
    wait.releaseAt = Date.now() + Math.max(0, (wait.target - Date.now()) * wait.scale);
    this.#arm(wait);
  }

  #arm(wait) {
    clearTimeout(wait.timer);
    const delay = Math.max(0, wait.releaseAt - Date.now());
    wait.timer =
      delay > MAX_TIMER_MS
        ? setTimeout(() => this.#arm(wait), MAX_TIMER_MS)
        : setTimeout(() => this.#release(wait, 'released'), delay);
  }

  #release(wait, outcome) {
    if (!this.pending.delete(wait.id)) return;
    clearTimeout(wait.timer);
    wait.resolve(outcome);
  }

  describe() {
    return {
      mode: this.mode,
      now: iso(this.now()),
      nowEpochMillis: this.now(),
      pendingWaits: this.list().map(describeWait),
    };
  }
}

export class ClockError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

export function describeWait(w) {
  return {
    executionArn: w.executionArn,
    state: w.stateName,
    kind: w.kind,
    target: iso(w.target),
    targetEpochMillis: w.target,
  };
}

export function iso(ms) {
  const d = new Date(ms);
  return Number.isNaN(d.getTime()) ? String(ms) : d.toISOString();
}
