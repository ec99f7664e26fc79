import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { Debouncer } from "../../sidecar/src/debounce";
import { FakeClock } from "./fakes";

describe("Debouncer", () => {
  it("flushes once, debounceMs after the last event", async () => {
    const clock = new FakeClock();
    const flushes: number[] = [];
    const start = clock.now();
    const d = new Debouncer(clock, 50, 250, () => flushes.push(clock.now() - start));
    d.schedule();
    await clock.advance(30);
    d.schedule();
    await clock.advance(49);
    assert.deepEqual(flushes, []);
    await clock.advance(1);
    assert.deepEqual(flushes, [80]);
    await clock.advance(1000);
    assert.deepEqual(flushes, [80]);
  });

  it("a constant event stream still flushes every maxDelayMs", async () => {
    const clock = new FakeClock();
    const flushes: number[] = [];
    const start = clock.now();
    const d = new Debouncer(clock, 50, 250, () => flushes.push(clock.now() - start));
    for (let t = 0; t < 1000; t += 10) {
      d.schedule();
      await clock.advance(10);
    }
    assert.deepEqual(flushes, [250, 500, 750, 1000]);
  });

  it("cancel drops a pending flush and flushNow runs it at once", async () => {
    const clock = new FakeClock();
    let n = 0;
    const d = new Debouncer(clock, 50, 250, () => n++);
    d.schedule();
    d.cancel();
    await clock.advance(500);
    assert.equal(n, 0);
    d.schedule();
    d.flushNow();
    assert.equal(n, 1);
    assert.equal(d.pending, false);
    d.flushNow();
    assert.equal(n, 1, "flushNow with nothing pending does nothing");
  });
});
