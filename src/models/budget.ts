/** Building a model under the memory its weight files can fill. */
import { LlmkError } from '../errors.js';
import type { Engine } from '../tensor/engine.js';

/**
 * Builds a model with no more memory than its file can fill (f32), plus room for a new task head
 * and small buffers: a config that declares sizes its tensors do not have (n_positions = 1e8,
 * num_hidden_layers = 100000, vocab_size = 2e9) fails before allocating, naming the file.
 */
export function buildWithin<T>(engine: Engine, fileBytes: number, where: string, build: () => T): T {
  const slack = 2 ** 20 + fileBytes * 0.1;
  const mib = (b: number): string => `${(b / 2 ** 20).toFixed(1)} MiB`;
  return engine.withAllocationBudget(
    fileBytes + slack,
    (bytes) =>
      new LlmkError(
        'LLMK_E_CHECKPOINT',
        `${where} declares a model larger than its weights: building it passes the ${mib(fileBytes)} of float32 weights the files hold (the next tensor alone is ${mib(bytes)})`,
        'the config and the weights disagree (a wrong or edited config.json / GGUF header); use the config saved with these weights',
      ),
    build,
  );
}
