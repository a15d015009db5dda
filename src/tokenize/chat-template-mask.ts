/**
 * Assistant-token masks for supervised fine-tuning: which characters (then tokens) of a rendered
 * conversation the model should learn to produce.
 *
 * Two ways to find them:
 *  - `generation`: the template marks assistant output with `{% generation %}…{% endgeneration %}`
 *    (transformers' AssistantTracker, PR #30650). A span is exactly what a block renders, as in
 *    `apply_chat_template(return_assistant_tokens_mask=True)`. @huggingface/jinja parses the tags but drops
 *    them, so we rewrite them into marker characters first (`markGenerationTags`) and read the spans off.
 *  - `prefix`: for templates without markers (every built-in, most shipped templates). For assistant
 *    message i, render messages[0..i) with the generation prompt (A) and messages[0..i] without it (B);
 *    B must start with A, and the turn is B minus A: the content as the template renders it followed by
 *    what closes the turn (when the template has no generation prompt, B minus A also holds the
 *    assistant header; the span then starts where the content, as given or trimmed, first occurs). The span is that turn without trailing whitespace (never cutting into the
 *    content), i.e. content + end-of-turn token: `Hi<|im_end|>` for ChatML (the `\n` after it is left
 *    out, as TRL's marker templates do), `Hi<|eot_id|>` for Llama 3, `Hi</s>` for Mistral. The full
 *    render must start with each turn as rendered alone, or the template rewrites earlier turns (e.g.
 *    drops past reasoning) and the method refuses.
 */
import { LlmkError } from '../errors.js';
import type { ApplyChatTemplateOptions, ChatMessage, ChatTemplate } from './chat-template.js';
import type { Tokenizer } from './types.js';

export interface AssistantSpan {
  /** [start, end) in the rendered text (UTF-16 code units). */
  start: number;
  end: number;
  /** The assistant message this span renders; null when generation blocks do not pair one-to-one with them. */
  messageIndex: number | null;
}

export interface AssistantSpans {
  text: string;
  spans: AssistantSpan[];
  method: 'generation' | 'prefix';
}

export interface AssistantSpanOptions extends Omit<ApplyChatTemplateOptions, 'continueFinalMessage'> {
  /** `auto` (default): `generation` when the template has the tags, else `prefix`. */
  method?: 'auto' | 'generation' | 'prefix';
}

/** Renders a conversation and returns the character spans of the assistant turns. */
export function assistantSpans(
  template: ChatTemplate,
  messages: readonly ChatMessage[],
  options: AssistantSpanOptions & { continueFinalMessage?: boolean } = {},
): AssistantSpans {
  if (options.continueFinalMessage) {
    // transformers raises too: the final turn is left open, so its end-of-turn is not in the text.
    throw new LlmkError(
      'LLMK_E_ARG',
      'assistant masks cannot be combined with continueFinalMessage',
      'mask complete conversations; continue a message only when generating',
    );
  }
  const { method = 'auto', ...renderOptions } = options;
  // Also validates the conversation (empty, roles, template refusals) with the usual typed errors.
  const text = template.applyChatTemplate(messages, renderOptions);
  const useGeneration = method === 'generation' || (method === 'auto' && template.hasGenerationMarkers);
  if (method === 'generation' && !template.hasGenerationMarkers) {
    throw new LlmkError(
      'LLMK_E_ARG',
      `chat template "${template.name}" has no {% generation %} markers`,
      'use method "prefix" (or "auto"), or add {% generation %}…{% endgeneration %} around assistant output',
    );
  }
  return useGeneration
    ? generationSpans(template, messages, renderOptions, text)
    : prefixSpans(template, messages, renderOptions, text);
}

function generationSpans(
  template: ChatTemplate,
  messages: readonly ChatMessage[],
  options: ApplyChatTemplateOptions,
  expected: string,
): AssistantSpans {
  const { text: marked, markers } = template.renderMarked(messages, options);
  const spans: AssistantSpan[] = [];
  let text = '';
  let open = -1;
  for (const ch of marked) {
    if (ch === markers.open || ch === markers.close) {
      const opening = ch === markers.open;
      if (opening === open >= 0) {
        throw new LlmkError(
          'LLMK_E_TEMPLATE',
          `chat template "${template.name}": {% generation %} blocks are nested or unbalanced`,
          'each {% generation %} needs its own {% endgeneration %}',
        );
      }
      if (opening) open = text.length;
      else {
        spans.push({ start: open, end: text.length, messageIndex: null });
        open = -1;
      }
    } else {
      text += ch;
    }
  }
  if (text !== expected) {
    // The rewrite must not change the output; if it ever does, the spans would be wrong, so refuse.
    throw new LlmkError(
      'LLMK_E_TEMPLATE',
      `chat template "${template.name}": rendering with generation markers changed the text`,
      'use method "prefix"',
    );
  }
  const assistants = messages.flatMap((m, i) => (m.role === 'assistant' ? [i] : []));
  if (assistants.length === spans.length) {
    spans.forEach((s, k) => {
      s.messageIndex = assistants[k];
    });
  }
  // transformers records a span per block rendered, empty ones included; an empty span masks nothing.
  return { text, spans: spans.filter((s) => s.end > s.start), method: 'generation' };
}

function prefixSpans(
  template: ChatTemplate,
  messages: readonly ChatMessage[],
  options: ApplyChatTemplateOptions,
  text: string,
): AssistantSpans {
  const spans: AssistantSpan[] = [];
  messages.forEach((message, i) => {
    if (message.role !== 'assistant') return;
    const before = template.renderUnchecked(messages.slice(0, i), { ...options, addGenerationPrompt: true });
    const through = template.renderUnchecked(messages.slice(0, i + 1), {
      ...options,
      addGenerationPrompt: false,
    });
    if (!through.startsWith(before)) {
      throw new LlmkError(
        'LLMK_E_TEMPLATE',
        `chat template "${template.name}": the text before assistant message ${i} differs from the generation prompt, so its span cannot be found by prefix`,
        'add {% generation %}…{% endgeneration %} around assistant output in the template',
      );
    }
    let turn = through.slice(before.length);
    const content = typeof message.content === 'string' ? message.content : '';
    // A template without a generation prompt renders the assistant header inside the turn; the span
    // starts at the content (as given, else as trimmed by the template) when it is found there.
    let skip = 0;
    for (const probe of [content, content.trim()]) {
      const at = probe.length > 0 ? turn.indexOf(probe) : -1;
      if (at >= 0) {
        skip = at;
        break;
      }
    }
    turn = turn.slice(skip);
    let keep = turn.trimEnd().length;
    if (content.length > 0 && turn.startsWith(content)) keep = Math.max(keep, content.length);
    const start = before.length + skip;
    if (!text.startsWith(through.slice(0, start + keep))) {
      throw new LlmkError(
        'LLMK_E_TEMPLATE',
        `chat template "${template.name}" renders assistant message ${i} differently once later messages follow`,
        'add {% generation %}…{% endgeneration %} around assistant output in the template',
      );
    }
    if (keep > 0) spans.push({ start, end: start + keep, messageIndex: i });
  });
  return { text, spans, method: 'prefix' };
}

export interface AssistantTokenMask {
  ids: number[];
  tokens: string[];
  offsets: [number, number][];
  /** 1 for a token that overlaps an assistant span, else 0. */
  mask: number[];
}

/**
 * Tokenizes the rendered text (without adding special tokens: the template wrote them, as transformers
 * tokenizes with `add_special_tokens=False`) and marks every token whose character offsets overlap an
 * assistant span. A token straddling a span boundary counts as assistant, which is what transformers'
 * `char_to_token(start)` … `char_to_token(end - 1)` range gives.
 */
export async function assistantTokenMask(
  tokenizer: Tokenizer,
  rendered: AssistantSpans,
): Promise<AssistantTokenMask> {
  const enc = await tokenizer.encode(rendered.text, undefined, { addSpecialTokens: false });
  if (enc.ids.length > 0 && enc.offsets.every(([a, b]) => a === 0 && b === 0)) {
    throw new LlmkError(
      'LLMK_E_TOKENIZER',
      `this ${tokenizer.kind} tokenizer reports no character offsets, so tokens cannot be matched to spans`,
      'use a Hugging Face tokenizer (tokenizer.json), which reports offsets',
    );
  }
  const mask = enc.offsets.map(([s, e]) =>
    e > s && rendered.spans.some((span) => s < span.end && e > span.start) ? 1 : 0,
  );
  return { ids: enc.ids, tokens: enc.tokens, offsets: enc.offsets, mask };
}
