/** The OpenAI Realtime wire format in one import: server events (parsing) and client events (builders). */
export * from './serverEvents.js';
export * from './clientEvents.js';
