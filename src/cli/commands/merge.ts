/**
 * `llmk merge --model BASE --adapter DIR --output OUT`: a PEFT LoRA adapter merged into its base
 * model (PEFT's merge_and_unload), written as a plain Hugging Face model directory.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { LlmkError } from '../../errors.js';
import { loadModel } from '../../models/load.js';
import { saveModel } from '../../models/save.js';
import type { TaskInfo } from '../../models/task-info.js';
import { loadAdapter } from '../../peft/io.js';
import { mergeAndUnload } from '../../peft/model.js';
import { createEngine } from '../../tensor/create.js';

/** The task head an adapter from `llmk finetune --peft lora` was trained with (llmk_task.json), if any. */
function adapterTask(dir: string): TaskInfo | undefined {
  const path = join(dir, 'llmk_task.json');
  if (!existsSync(path)) return undefined;
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as TaskInfo;
  } catch (e) {
    throw new LlmkError(
      'LLMK_E_CONFIG',
      `${path}: ${(e as Error).message}`,
      'the adapter directory is damaged',
    );
  }
}

export function registerMerge(program: Command): void {
  program
    .command('merge')
    .description(
      'merge a PEFT LoRA adapter into its base model and write a plain Hugging Face model directory',
    )
    .requiredOption('--model <dir>', 'the base model the adapter was trained on')
    .requiredOption(
      '--adapter <dir>',
      'PEFT adapter directory (adapter_config.json + adapter_model.safetensors)',
    )
    .requiredOption('--output <dir>', 'model directory to write')
    .option('--force', 'replace an existing output directory')
    .action((o: { model: string; adapter: string; output: string; force?: boolean }) => {
      if (existsSync(o.output) && !o.force)
        throw new LlmkError(
          'LLMK_E_EXISTS',
          `${o.output} already exists`,
          'pass --force to replace it, or choose another --output',
        );
      const engine = createEngine();
      const task = adapterTask(o.adapter);
      const architecture = task
        ? task.task === 'ner'
          ? 'BertForTokenClassification'
          : 'BertForSequenceClassification'
        : undefined;
      const loaded = loadModel(engine, o.model, task ? { architecture, task } : {});
      const adapter = loadAdapter(engine, loaded.model, o.adapter);
      mergeAndUnload(loaded.model);
      saveModel(o.output, loaded.model, {
        tokenizer: loaded.tokenizer,
        task: task ?? loaded.task ?? undefined,
        special: { bosTokenId: loaded.bosTokenId, eosTokenId: loaded.eosTokenId },
      });
      process.stdout.write(
        `${JSON.stringify({
          output: o.output,
          base: o.model,
          adapter: o.adapter,
          merged_modules: adapter.targets.length,
          modules_to_save: adapter.modulesToSave,
          parameters: loaded.model.parameterCount(),
        })}\n`,
      );
    });
}
