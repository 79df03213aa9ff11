import { describe, expect, it } from 'vitest';
import { RequestSlots } from '../../src/outbox/requestSlots.js';

describe('RequestSlots', () => {
  it('hands out at most its size; a slot given back goes to the first waiter', async () => {
    const slots = new RequestSlots(2);
    expect(slots.tryTake()).toBe(true);
    expect(await slots.take()).toBe(true);
    expect(slots.free).toBe(0);
    expect(slots.tryTake()).toBe(false);
    const order: string[] = [];
    const first = slots.take().then((ok) => order.push(`first ${ok}`));
    const second = slots.take().then((ok) => order.push(`second ${ok}`));
    slots.give();
    await first;
    expect(order).toEqual(['first true']);
    slots.give();
    await second;
    expect(order).toEqual(['first true', 'second true']);
  });

  it('a waiter that gives up holds no slot', async () => {
    const slots = new RequestSlots(1);
    slots.tryTake();
    const controller = new AbortController();
    const waiting = slots.take(controller.signal);
    expect(slots.free).toBe(0);
    controller.abort();
    expect(await waiting).toBe(false);
    slots.give();
    expect(slots.free).toBe(1);
    expect(slots.tryTake()).toBe(true);
    expect(await slots.take(AbortSignal.abort())).toBe(false);
  });
});
