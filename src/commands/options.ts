import { InvalidArgumentError, Option } from 'commander';
import { DEFAULT_SPEC_PATH } from '../spec/index.js';

/** The gate's cluster: nodes on 7001..7006 (and bus ports 17001..17006). */
export const DEFAULT_PORT_BASE = 7001;

/** A node port base: the six client ports and their bus ports (+10000) must all be valid ports. */
export function parsePortBase(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1024 || n > 55529)
    throw new InvalidArgumentError('must be an integer from 1024 to 55529 (bus ports are +10000)');
  return n;
}

/** `--spec <file>`; a factory because commander takes each Option object once. */
export const specOption = (): Option =>
  new Option('--spec <file>', 'spec file (YAML)').default(DEFAULT_SPEC_PATH, 'fixtures/kryonix.spec.yaml');

/** `--port-base <port>` of a local cluster, default 7001. */
export const portBaseOption = (): Option =>
  new Option('--port-base <port>', 'first node port; nodes use base..base+5, bus ports +10000')
    .argParser(parsePortBase)
    .default(DEFAULT_PORT_BASE);

/** Option parsers: a bad value is a usage error naming the option (exit 2). */
export const positiveInt =
  (what: string) =>
  (v: string): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`${what} must be a positive integer`);
    return n;
  };
export const positiveNumber = (v: string): number => {
  const n = Number(v);
  if (!(n > 0)) throw new InvalidArgumentError('must be a number > 0');
  return n;
};
export const share = (v: string): number => {
  const n = Number(v);
  if (!(n >= 0 && n <= 1)) throw new InvalidArgumentError('must be a number from 0 to 1');
  return n;
};
export const nonNegative = (v: string): number => {
  const n = Number(v);
  if (!(n >= 0)) throw new InvalidArgumentError('must be a number >= 0');
  return n;
};
