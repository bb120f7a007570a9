export { RunSession } from './run-session.js';
export { currentOwner, ownerState, runOwner, sessionEventTypes, type OwnerState, type RunOwner } from './run-owner.js';
