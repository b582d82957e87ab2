/** Every heartbeat the generator sends credits this much engaged time, so the stored total can be checked. */
export const ENGAGED_PER_HEARTBEAT = 100;
