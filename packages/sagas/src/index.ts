export { SagaErrors } from './errors.ts';
export { commandEvent, replyTo } from './saga/command-event.ts';
export { commandId, instanceId } from './saga/command-id.ts';
export {
  DEFAULT_COMPENSATION_ATTEMPTS,
  DEFAULT_COMPENSATION_BACKOFF_MS,
  DEFAULT_STEP_TIMEOUT_MS,
  defineSaga,
  type SagaCommand,
  type SagaCompensation,
  type SagaDefinition,
  type SagaDefinitionOptions,
  type SagaReplies,
  type SagaStep,
} from './saga/define-saga.ts';
export {
  type SagaSpecification,
  type SpecOutcome,
  type SpecTimer,
  sagaSpecification,
} from './saga/saga-specification.ts';
export {
  FINAL_STATUSES,
  type PlannedCommand,
  type PlannedTimer,
  SAGA_STATUS_EDGES,
  type SagaHistoryEntry,
  type SagaInput,
  type SagaInstance,
  type SagaPhase,
  type SagaState,
  type SagaStatus,
  type SagaTransition,
  sagaTransition,
  startSaga,
} from './saga/saga-transition.ts';
