/**
 * Chat templates: the Jinja programs Hugging Face tokenizers ship to turn a conversation into one prompt
 * string, rendered with `@huggingface/jinja` under the variables transformers passes
 * (`transformers/src/transformers/utils/chat_template_utils.py`, `render_jinja_template`):
 * `messages`, `tools`, `documents`, `add_generation_prompt`, the special tokens (`bos_token`, `eos_token`, …),
 * the globals `raise_exception` and `strftime_now`, and any extra keyword arguments.
 *
 * We build the Jinja environment ourselves (the library's `Environment` + `Interpreter`) instead of calling
 * `Template.render`, because `render` declares `raise_exception` and `strftime_now` itself: we need our own
 * `raise_exception` to tell a template's deliberate refusal from an engine failure, and a clock that
 * tests can fix.
 */
import { Environment, Interpreter, parse, Template, tokenize } from '@huggingface/jinja';
import { LlmkError } from '../errors.js';

/** One message; `content` is a string, a list of typed parts (`{type: 'text', text}`), or null. */
export interface ChatMessage {
  role: string;
  content?: string | null | Record<string, unknown>[];
  [field: string]: unknown;
}

/** Special tokens passed to the template as variables (transformers passes its `special_tokens_map`). */
export type ChatSpecialTokens = Record<string, string | string[] | null>;

export interface ApplyChatTemplateOptions {
  /** Append the header that opens the assistant's reply (the template's `add_generation_prompt` branch). */
  addGenerationPrompt?: boolean;
  /**
   * Leave the final message open so the model continues it: render, then cut right after the final
   * message's content (transformers' `continue_final_message`). Incompatible with `addGenerationPrompt`.
   */
  continueFinalMessage?: boolean;
  /** JSON-schema tool descriptions (`{type: 'function', function: {name, description, parameters}}`). */
  tools?: Record<string, unknown>[] | null;
  /** Retrieval documents (`{title, text}`), for templates that render them. */
  documents?: Record<string, unknown>[] | null;
  /** Extra template variables (transformers' `**kwargs`, e.g. `enable_thinking`); they override tokens. */
  variables?: Record<string, unknown>;
  /** The clock `strftime_now` reads; default: now. */
  now?: Date;
}

/** Roles the common templates know; another role is checked to have been rendered (see `checkRoles`). */
const KNOWN_ROLES = new Set(['system', 'user', 'assistant', 'tool', 'ipython', 'function', 'developer']);

/** transformers' sentinel for `continue_final_message` (`render_jinja_template`); the trailing space matters. */
const CONTINUE_TAG = 'CONTINUE_FINAL_MESSAGE_TAG ';

/** Thrown by our `raise_exception`, so a template's refusal is not mistaken for an engine failure. */
class TemplateRaise extends Error {}

type Program = ReturnType<typeof parse>;

/**
 * Names the Jinja feature behind an error message of @huggingface/jinja, when the message says the engine
 * does not know something (a statement, filter, test, operator, or a callable).
 */
function unsupportedFeature(message: string): string | undefined {
  const patterns: [RegExp, (m: RegExpExecArray) => string][] = [
    [/Unknown statement type: (\w+)/, (m) => `the {% ${m[1]} %} statement`],
    [/Unknown (?:\w+Value )?filter: (\w+)/, (m) => `the |${m[1]} filter`],
    [/Cannot apply filter "(\w+)" to type: (\w+)/, (m) => `the |${m[1]} filter on a ${m[2]}`],
    [/Unknown test: (\w+)/, (m) => `the "is ${m[1]}" test`],
    [/Unknown operator "([^"]+)"/, (m) => `the ${m[1]} operator on these operand types`],
    [
      /Cannot call something that is not a function/,
      () => 'a function or method call (the engine does not say which name)',
    ],
  ];
  for (const [re, name] of patterns) {
    const m = re.exec(message);
    if (m) return name(m);
  }
  return undefined;
}

/** The 1-based line of `raise_exception('<message>')` in the source, when the message is a unique literal. */
function raiseLine(source: string, message: string): number | undefined {
  const at: number[] = [];
  for (const quote of ["'", '"']) {
    const needle = `${quote}${message}${quote}`;
    for (let i = source.indexOf(needle); i >= 0; i = source.indexOf(needle, i + 1)) at.push(i);
  }
  if (at.length !== 1) return undefined;
  return source.slice(0, at[0]).split('\n').length;
}

/** Parses a template with the options transformers uses (trim_blocks, lstrip_blocks). */
function compile(source: string, name: string): Program {
  try {
    return new Template(source).parsed;
  } catch (err) {
    throw templateError(err, source, name, 'parsing');
  }
}

/** Turns an engine error into a typed one: unsupported feature, template refusal, or plain failure. */
function templateError(
  err: unknown,
  source: string,
  name: string,
  phase: 'parsing' | 'rendering',
): LlmkError {
  if (err instanceof LlmkError) return err;
  const message = err instanceof Error ? err.message : String(err);
  if (err instanceof TemplateRaise) {
    const line = raiseLine(source, message);
    return new LlmkError(
      'LLMK_E_TEMPLATE',
      `chat template "${name}" raised: ${message}${line === undefined ? '' : ` (template line ${line})`}`,
      'the conversation does not have the shape this template accepts; fix the messages or choose another template',
    );
  }
  const feature = unsupportedFeature(message);
  if (feature) {
    return new LlmkError(
      'LLMK_E_UNSUPPORTED',
      `chat template "${name}" uses ${feature}, which @huggingface/jinja does not support (${message})`,
      'rewrite that part of the template (chat_template.jinja) or pass another template',
    );
  }
  return new LlmkError(
    'LLMK_E_TEMPLATE',
    `chat template "${name}" failed while ${phase}: ${message}`,
    phase === 'parsing'
      ? 'the template is not valid Jinja; check the chat_template text'
      : 'check that the messages and variables have the fields the template reads',
  );
}

const MONTHS = 'January February March April May June July August September October November December'.split(
  ' ',
);
const DAYS = 'Sunday Monday Tuesday Wednesday Thursday Friday Saturday'.split(' ');

/**
 * Python's `datetime.strftime` for the directives chat templates use (C locale, local time, as
 * transformers' `strftime_now` = `datetime.now().strftime(format)`); glibc's `%-d` style unpadded forms too.
 */
export function strftime(date: Date, format: string): string {
  const pad = (n: number, width = 2) => String(n).padStart(width, '0');
  const hour12 = date.getHours() % 12 === 0 ? 12 : date.getHours() % 12;
  const startOfYear = new Date(date.getFullYear(), 0, 1);
  const dayOfYear = Math.floor((date.getTime() - startOfYear.getTime()) / 86_400_000) + 1;
  const values: Record<string, [number | string, number]> = {
    Y: [date.getFullYear(), 4],
    y: [date.getFullYear() % 100, 2],
    m: [date.getMonth() + 1, 2],
    d: [date.getDate(), 2],
    e: [date.getDate(), 0],
    H: [date.getHours(), 2],
    I: [hour12, 2],
    M: [date.getMinutes(), 2],
    S: [date.getSeconds(), 2],
    j: [dayOfYear, 3],
    p: [date.getHours() < 12 ? 'AM' : 'PM', 0],
    B: [MONTHS[date.getMonth()], 0],
    b: [MONTHS[date.getMonth()].slice(0, 3), 0],
    A: [DAYS[date.getDay()], 0],
    a: [DAYS[date.getDay()].slice(0, 3), 0],
  };
  return format.replace(/%(-?)(.)/g, (whole, unpadded: string, d: string) => {
    if (d === '%') return '%';
    const v = values[d];
    if (!v) {
      throw new LlmkError(
        'LLMK_E_UNSUPPORTED',
        `strftime_now: directive ${whole} is not supported`,
        'use %Y %y %m %d %e %H %I %M %S %j %p %B %b %A %a (optionally %-d style)',
      );
    }
    const [value, width] = v;
    if (typeof value === 'string') return value;
    return unpadded || width === 0 ? String(value) : pad(value, width);
  });
}

/** Checks the conversation's shape: a non-empty list of objects, each with a non-empty string role. */
function checkMessages(messages: readonly ChatMessage[]): void {
  if (!Array.isArray(messages) || messages.length === 0) {
    throw new LlmkError(
      'LLMK_E_ARG',
      'the conversation is empty',
      'pass at least one message, e.g. [{ role: "user", content: "Hello" }]',
    );
  }
  messages.forEach((m, i) => {
    if (typeof m !== 'object' || m === null || typeof m.role !== 'string' || m.role.length === 0) {
      throw new LlmkError(
        'LLMK_E_ARG',
        `message ${i} has no role: ${JSON.stringify(m)}`,
        'each message is { role: "system" | "user" | "assistant" | …, content: string }',
      );
    }
  });
}

function unknownRoles(messages: readonly ChatMessage[]): { index: number; role: string }[] {
  return messages.flatMap((m, index) => (KNOWN_ROLES.has(m.role) ? [] : [{ index, role: m.role }]));
}

/** Markers for `{% generation %}` spans: private-use characters absent from the template and its inputs. */
export interface GenerationMarkers {
  open: string;
  close: string;
}

/**
 * Rewrites `{% generation %}` / `{% endgeneration %}` (transformers' AssistantTracker tags) into literal
 * marker characters, reproducing what @huggingface/jinja's lexer does before it drops those tags
 * (lexer.ts `preprocess`): remove one trailing newline, apply lstrip_blocks (`^[ \t]*` before `{%`, `{#`)
 * and trim_blocks (the newline after `%}`, `#}`), then replace each tag, honouring its own `-` whitespace
 * control. The library would delete the tag; we emit a marker instead, so the rendered text says where
 * each generation block starts and ends. The result is fed to `tokenize` without trim/lstrip options (the
 * work is done); a trailing newline is doubled because `tokenize` always drops one.
 */
export function markGenerationTags(source: string, markers: GenerationMarkers): string {
  let t = source.endsWith('\n') ? source.slice(0, -1) : source;
  t = t.replace(/^[ \t]*({[#%-])/gm, '$1');
  t = t.replace(/([#%-]})\n/g, '$1');
  let out = '';
  let last = 0;
  for (const m of t.matchAll(/{%(-?)\s*(end)?generation\s*(-?)%}(\s*)/gs)) {
    const [whole, lstrip, end, rstrip, after] = m;
    let cut = m.index;
    if (lstrip) {
      while (cut > last && /\s/.test(t[cut - 1])) cut -= 1;
    }
    out += t.slice(last, cut) + (end ? markers.close : markers.open) + (rstrip ? '' : after);
    last = m.index + whole.length;
  }
  out += t.slice(last);
  return out.endsWith('\n') ? `${out}\n` : out;
}

/** True when the template marks assistant output with `{% generation %}` (transformers' own regex). */
export function hasGenerationMarkers(source: string): boolean {
  return /\{%-?\s*generation\s*-?%\}/.test(source);
}

/** One chat template, compiled once, with the special tokens it renders with. */
export class ChatTemplate {
  readonly source: string;
  readonly name: string;
  readonly specialTokens: ChatSpecialTokens;
  private readonly program: Program;
  private markedProgram?: { markers: GenerationMarkers; program: Program };

  /** Throws LLMK_E_UNSUPPORTED / LLMK_E_TEMPLATE when the source does not parse. */
  constructor(source: string, options: { name?: string; specialTokens?: ChatSpecialTokens } = {}) {
    this.source = source;
    this.name = options.name ?? 'default';
    this.specialTokens = { ...(options.specialTokens ?? {}) };
    this.program = compile(source, this.name);
  }

  get hasGenerationMarkers(): boolean {
    return hasGenerationMarkers(this.source);
  }

  /**
   * Renders a conversation to the prompt string, as transformers' `apply_chat_template(tokenize=False)`.
   * Errors: empty conversation or a message without a role (LLMK_E_ARG), a role the template neither
   * renders nor accepts (LLMK_E_ARG), the template's own `raise_exception` (LLMK_E_TEMPLATE, with its
   * message and, when the message is a literal, its line), an unsupported Jinja feature (LLMK_E_UNSUPPORTED).
   */
  applyChatTemplate(messages: readonly ChatMessage[], options: ApplyChatTemplateOptions = {}): string {
    checkMessages(messages);
    if (options.continueFinalMessage && options.addGenerationPrompt) {
      throw new LlmkError(
        'LLMK_E_ARG',
        'continueFinalMessage and addGenerationPrompt cannot both be set',
        'addGenerationPrompt opens a new assistant turn; continueFinalMessage extends the last one: pick one',
      );
    }
    if (!options.continueFinalMessage) return this.renderChecked(messages, options);
    const { marked, finalText } = markFinalMessage(messages);
    const rendered = this.renderChecked(marked, options, messages);
    const tag = CONTINUE_TAG.trim();
    if (!rendered.includes(finalText.trim()) || !rendered.includes(tag)) {
      throw new LlmkError(
        'LLMK_E_TEMPLATE',
        `continueFinalMessage: the final message does not appear in the rendered chat (template "${this.name}" changes or drops it)`,
        'continue a message whose text the template renders verbatim, or render without continueFinalMessage',
      );
    }
    const at = rendered.lastIndexOf(tag);
    // The template kept the tag's trailing space: it preserves spacing, cut exactly; otherwise it trimmed
    // the message, so trim what precedes the tag too (transformers does the same).
    return rendered.startsWith(CONTINUE_TAG, at) ? rendered.slice(0, at) : rendered.slice(0, at).trimEnd();
  }

  /**
   * Renders with `{% generation %}` blocks turned into marker characters; the caller splits them out.
   * Used for assistant masks; no checks beyond the engine's (prefix renders may be empty conversations).
   */
  renderMarked(
    messages: readonly ChatMessage[],
    options: ApplyChatTemplateOptions,
  ): { text: string; markers: GenerationMarkers } {
    const markers = pickMarkers(this.source, messages, options);
    if (
      !this.markedProgram ||
      this.markedProgram.markers.open !== markers.open ||
      this.markedProgram.markers.close !== markers.close
    ) {
      let program: Program;
      try {
        program = parse(tokenize(markGenerationTags(this.source, markers)));
      } catch (err) {
        throw templateError(err, this.source, this.name, 'parsing');
      }
      this.markedProgram = { markers, program };
    }
    return { text: this.run(this.markedProgram.program, messages, options), markers };
  }

  /** Renders without the conversation checks (prefix renders for assistant masks may be empty). */
  renderUnchecked(messages: readonly ChatMessage[], options: ApplyChatTemplateOptions): string {
    return this.run(this.program, messages, options);
  }

  private renderChecked(
    messages: readonly ChatMessage[],
    options: ApplyChatTemplateOptions,
    original: readonly ChatMessage[] = messages,
  ): string {
    const unknown = unknownRoles(original);
    let text: string;
    try {
      text = this.runRaw(this.program, messages, options);
    } catch (err) {
      const error = templateError(err, this.source, this.name, 'rendering');
      if (unknown.length > 0 && error.code === 'LLMK_E_TEMPLATE') {
        const why = err instanceof TemplateRaise ? `the template raised "${err.message}"` : error.message;
        throw unknownRoleError(unknown[0], this.name, why);
      }
      throw error;
    }
    // A template may silently skip a role it does not know; a message that vanished is an error, not a prompt.
    for (const u of unknown) {
      const content = original[u.index].content;
      if (typeof content === 'string' && content.trim().length > 0 && !text.includes(content.trim())) {
        throw unknownRoleError(u, this.name, 'its content is missing from the rendered prompt');
      }
    }
    return text;
  }

  private run(program: Program, messages: readonly ChatMessage[], options: ApplyChatTemplateOptions): string {
    try {
      return this.runRaw(program, messages, options);
    } catch (err) {
      throw templateError(err, this.source, this.name, 'rendering');
    }
  }

  private runRaw(
    program: Program,
    messages: readonly ChatMessage[],
    options: ApplyChatTemplateOptions,
  ): string {
    const now = options.now;
    const variables = new Map<string, unknown>([
      ['false', false],
      ['true', true],
      ['none', null],
      ['False', false],
      ['True', true],
      ['None', null],
      ['range', pythonRange],
      [
        'raise_exception',
        (message: unknown) => {
          throw new TemplateRaise(String(message));
        },
      ],
      ['strftime_now', (format: unknown) => strftime(now ?? new Date(), String(format))],
    ]);
    for (const [k, v] of Object.entries(this.specialTokens)) variables.set(k, v);
    variables.set('messages', messages);
    variables.set('tools', options.tools ?? null);
    variables.set('documents', options.documents ?? null);
    variables.set('add_generation_prompt', options.addGenerationPrompt ?? false);
    for (const [k, v] of Object.entries(options.variables ?? {})) variables.set(k, v);
    const env = new Environment();
    for (const [k, v] of variables) env.set(k, v);
    return String(new Interpreter(env).run(program).value);
  }
}

function unknownRoleError(u: { index: number; role: string }, name: string, why: string): LlmkError {
  return new LlmkError(
    'LLMK_E_ARG',
    `message ${u.index} has role "${u.role}", which chat template "${name}" does not handle: ${why}`,
    `use the roles the template knows (system, user, assistant, …) or a template that renders "${u.role}"`,
  );
}

/** Python's `range(stop)` / `range(start, stop[, step])`, a global Jinja templates call. */
function pythonRange(a: unknown, b?: unknown, c?: unknown): number[] {
  const [start, stop, step] =
    b === undefined ? [0, Number(a), 1] : [Number(a), Number(b), c === undefined ? 1 : Number(c)];
  if (step === 0) throw new Error('range() arg 3 must not be zero');
  const out: number[] = [];
  for (let i = start; step > 0 ? i < stop : i > stop; i += step) out.push(i);
  return out;
}

/** Appends the continue tag to the final message's text (its last text part for typed content). */
function markFinalMessage(messages: readonly ChatMessage[]): { marked: ChatMessage[]; finalText: string } {
  const marked = structuredClone(messages) as ChatMessage[];
  const last = marked[marked.length - 1];
  const content = last.content;
  if (typeof content === 'string') {
    last.content = content + CONTINUE_TAG;
    return { marked, finalText: content };
  }
  if (Array.isArray(content)) {
    for (let i = content.length - 1; i >= 0; i--) {
      const part = content[i];
      if (typeof part.text === 'string') {
        const finalText = part.text;
        part.text = finalText + CONTINUE_TAG;
        return { marked, finalText };
      }
    }
  }
  throw new LlmkError(
    'LLMK_E_ARG',
    'continueFinalMessage: the final message has no text to continue',
    'end the conversation with a message whose content is a string (or has a text part)',
  );
}

/** Two private-use characters that occur neither in the template nor in the inputs. */
function pickMarkers(
  source: string,
  messages: readonly ChatMessage[],
  options: ApplyChatTemplateOptions,
): GenerationMarkers {
  const haystack = source + JSON.stringify([messages, options.tools, options.documents, options.variables]);
  const free: string[] = [];
  for (let cp = 0xe000; cp <= 0xf8ff && free.length < 2; cp++) {
    const ch = String.fromCharCode(cp);
    if (!haystack.includes(ch)) free.push(ch);
  }
  return { open: free[0], close: free[1] };
}
