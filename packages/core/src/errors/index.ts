export {
  defineErrors,
  type ErrorFactories,
  type ErrorMapper,
  type ErrorSpec,
  isOutrigError,
  OutrigError,
  type OutrigErrorOptions,
} from './outrig-error.ts';
