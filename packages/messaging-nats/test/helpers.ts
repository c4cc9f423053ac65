/** Shared bits of this package's integration tests (the broker-agnostic ones live in @outrig/testing). */
export {
  deleteNatsStreams as deleteStreams,
  makeTestEvent as makeEvent,
  uniqueSuffix,
  waitFor,
} from '@outrig/testing';
