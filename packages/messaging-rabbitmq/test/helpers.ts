/** Shared bits of this package's integration tests (the broker-agnostic ones live in @outrig/testing). */
export { makeTestEvent as makeEvent, uniqueSuffix, waitFor } from '@outrig/testing';
