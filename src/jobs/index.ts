export { RunSession } from './run-session.js';
