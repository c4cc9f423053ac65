export {
  defineErrors,
  type ErrorFactories,
  type ErrorSpec,
  isOutrigError,
  OutrigError,
  type OutrigErrorOptions,
} from './outrig-error.ts';
