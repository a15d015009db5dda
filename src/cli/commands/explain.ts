/** `llmk explain`: which tokens drive a fine-tuned classifier's label, as an offline HTML page or JSON. */
import { writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { LlmkError } from '../../errors.js';
import { type ExplainMethod, explainClassifier } from '../../explain/classifier.js';
import { renderExplanationHtml } from '../../explain/html.js';
import type { IntegrationMethod } from '../../explain/integrated-gradients.js';
import { loadTaskModel } from '../../infer/pipelines.js';
import type { BertForSequenceClassification } from '../../models/bert/heads.js';
import { createEngine } from '../../tensor/create.js';

export function registerExplain(program: Command): void {
  program
    .command('explain')
    .description('explain a classifier’s prediction: token attributions and attention maps (HTML or JSON)')
    .requiredOption('--model <dir>', 'classifier directory from llmk finetune')
    .requiredOption('--text <text>', 'the text to explain')
    .option('--method <m>', 'ig | gradxinput | rollout', 'ig')
    .option('--target <label>', 'label to explain (default: the predicted one)')
    .option('--steps <n>', 'integrated gradients: quadrature points', '50')
    .option(
      '--integration <m>',
      'gausslegendre | riemann_trapezoid | riemann_left | riemann_right | riemann_middle',
    )
    .option('--baseline <b>', 'integrated gradients baseline: pad | zero', 'pad')
    .option('--output <file>', 'write a self-contained HTML report here')
    .option('--json', 'print the explanation as JSON on stdout')
    .action(async (o: Record<string, string | boolean | undefined>) => {
      const s = (k: string): string | undefined => (typeof o[k] === 'string' ? (o[k] as string) : undefined);
      if (!s('output') && o.json !== true)
        throw new LlmkError('LLMK_E_ARG', 'nothing to write', 'pass --output report.html and/or --json');
      const steps = Number(s('steps'));
      const baseline = s('baseline');
      if (baseline !== 'pad' && baseline !== 'zero')
        throw new LlmkError('LLMK_E_ARG', `--baseline ${baseline}`, 'use --baseline pad or --baseline zero');
      const engine = createEngine();
      const tm = loadTaskModel(engine, s('model') as string);
      const e = await explainClassifier(
        { model: tm.model as BertForSequenceClassification, tokenizer: tm.tokenizer, task: tm.task },
        s('text') as string,
        {
          method: s('method') as ExplainMethod,
          target: s('target'),
          steps,
          integration: s('integration') as IntegrationMethod | undefined,
          baseline,
        },
      );
      if (e.truncated) process.stderr.write(`llmk explain: ${e.truncated}\n`);
      const out = s('output');
      if (out) {
        writeFileSync(out, renderExplanationHtml(e));
        process.stderr.write(`llmk explain: wrote ${out}\n`);
      }
      const c = e.completeness;
      process.stderr.write(
        `predicted ${e.predicted} (${e.labels.map((l, i) => `${l} ${e.probabilities[i].toFixed(4)}`).join(', ')}); ` +
          `target ${e.target}${c ? `; completeness error ${c.delta.toExponential(2)} (f(x) − f(baseline) = ${(c.fx - c.fBaseline).toFixed(4)})` : ''}\n`,
      );
      if (o.json === true) process.stdout.write(`${JSON.stringify(e)}\n`);
    });
}
