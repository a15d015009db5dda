export {
  BART_LAYER_NORM_EPS,
  BART_POSITION_OFFSET,
  type BartActivation,
  type BartConfig,
  type BartConfigInput,
  type BartFlavor,
  bartConfig,
} from './config.js';
export {
  asBart,
  bartFamily,
  bartFromHfConfig,
  bartToHfConfig,
  isBart,
  marianFamily,
  type ParsedBart,
} from './hf.js';
export {
  BartForConditionalGeneration,
  BartModel,
  keyPaddingMask,
  Seq2SeqCache,
  type Seq2SeqDecodeOptions,
  type Seq2SeqInputs,
  shiftTokensRight,
} from './model.js';
export { SinusoidalPositions } from './positions.js';
