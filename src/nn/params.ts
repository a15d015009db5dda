/**
 * Planned parameter memory: every parameter and its gradient become views into two flat buffers,
 * so zeroing gradients, clipping and the optimizer update are a few loops over contiguous memory.
 * Layout comes from one table (the module's trainable namedParameters), grouped so each optimizer
 * group is one contiguous range. Frozen parameters (requiresGrad false) stay where they are: no slot,
 * no gradient buffer, hence no optimizer state — training a head on a frozen body costs the head only.
 */
import { Storage, Tensor } from '../tensor/tensor.js';
import type { Module } from './module.js';

export interface ParamEntry {
  name: string;
  tensor: Tensor;
  /** Element offset in the flat buffers. */
  offset: number;
  size: number;
  group: number;
}

export interface ParamGroupRange {
  group: number;
  start: number;
  end: number;
}

export class FlatParameters {
  readonly entries: ParamEntry[];
  readonly ranges: ParamGroupRange[];
  readonly values: Float32Array;
  readonly grads: Float32Array;
  readonly size: number;

  /**
   * Packs `module`'s trainable parameters. `groupOf(name, tensor)` assigns an optimizer group
   * (0, 1, …); entries are laid out group by group in parameter order. Freeze before packing.
   */
  constructor(module: Module, groupOf: (name: string, t: Tensor) => number = () => 0) {
    const named = module.namedParameters({ trainable: true });
    const withGroup = named.map(([name, tensor], i) => ({ name, tensor, group: groupOf(name, tensor), i }));
    withGroup.sort((a, b) => a.group - b.group || a.i - b.i);
    this.size = withGroup.reduce((n, p) => n + p.tensor.size, 0);
    const engine = module.engine;
    this.values = new Float32Array(this.size);
    this.grads = new Float32Array(this.size);
    const valueStorage = new Storage(this.values, false);
    const gradStorage = new Storage(this.grads, false);
    let offset = 0;
    this.entries = [];
    this.ranges = [];
    for (const p of withGroup) {
      p.tensor.rebind(valueStorage, offset);
      p.tensor.grad?.dispose();
      gradStorage.refs++;
      p.tensor.grad = new Tensor(engine, gradStorage, p.tensor.shape, 'f32', undefined, offset);
      this.entries.push({ name: p.name, tensor: p.tensor, offset, size: p.tensor.size, group: p.group });
      const last = this.ranges[this.ranges.length - 1];
      if (last && last.group === p.group) last.end = offset + p.tensor.size;
      else this.ranges.push({ group: p.group, start: offset, end: offset + p.tensor.size });
      offset += p.tensor.size;
    }
  }

  zeroGrad(): void {
    this.grads.fill(0);
  }
}
