import { describe, expect, it } from 'vitest';
import { topicMatches } from '../../gateway/mqtt/topic-match.js';

describe('topicMatches (MQTT 3.1.1 section 4.7)', () => {
  it.each([
    ['vitrin/+/pos/+/feedback', 'vitrin/s1/pos/till-1/feedback', true],
    ['vitrin/+/pos/+/feedback', 'vitrin/s1/pos/till-1/cards', false],
    ['vitrin/#', 'vitrin/s1/gateway/state', true],
    ['vitrin/#', 'vitrin', true],
    ['vitrin/s1', 'vitrin/s1/x', false],
    ['+/+', 'a/b', true],
    ['+', 'a/b', false],
    ['#', '$SYS/broker', false],
    ['+/broker', '$SYS/broker', false],
  ])('%s matches %s: %s', (filter, topic, expected) => {
    expect(topicMatches(filter, topic)).toBe(expected);
  });
});
