/** The private nats-server and stream clean-up come from @outrig/testing. */
export {
  deleteNatsStreams as deleteStreams,
  NATS_SERVER_BINARY,
  NatsServer,
  natsServerInstalled,
} from '@outrig/testing';
