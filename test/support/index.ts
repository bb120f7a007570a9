export * from '../../src/testing/index.js';
export { waitFor } from './wait-for.js';
