import { z } from 'zod';
import { FeedbackSchema } from './feedback.ts';

/**
 * The live command as integrators see it [live §3]. (The runtime parser is more lenient in
 * shape so that it can answer each mistake with its own response_code.)
 */
const CommandDocSchema = z
  .object({
    extraTags: z.object({ nodeId: z.string().describe('the site node, <SN>_site_0') }).catchall(z.unknown()),
    time: z.union([z.number(), z.string().regex(/^\d+(\.\d+)?$/)]).describe('Unix seconds when sent (a value above 1e11 is read as milliseconds)'),
    fields: z
      .record(
        z.string().regex(/^[A-Za-z0-9_.:-]+_(policy|power_setpoint_w)$/),
        z.union([z.string().describe('a policy, e.g. setpoint, self_consumption, fallback'), z.number().describe('watts; storage + charge / − discharge')]),
      )
      .describe('<component or device nodeId>_policy and <…>_power_setpoint_w; {} asks for feedback only'),
  })
  .describe('gridpilot live command (SmartgridOne Live MQTT control)');

/** A schedule message as integrators see it [scheduled §Message]. */
const ScheduleDocSchema = z
  .object({
    extraTags: z.object({ nodeId: z.string().describe('the site node, <SN>_site_0') }).catchall(z.unknown()),
    time: z.union([z.number(), z.string().regex(/^\d+(\.\d+)?$/)]).describe('Unix seconds when sent; the feedback echoes it as requestTime'),
    mode: z.enum(['merge', 'replace']).optional().describe('merge (default): replace the stored slots that overlap the new ones; replace: delete every stored slot first'),
    schedule: z
      .array(
        z.object({
          start: z.number().describe('Unix seconds, inclusive'),
          end: z.number().describe('Unix seconds, exclusive; after start, at most 7 days ahead'),
          fields: z
            .record(z.string().regex(/^(solar|storage|heat_pump|switched_load|variable_power_load|site)_(policy|power_setpoint_w)$/), z.union([z.string(), z.number()]))
            .describe('group-level fields as in a live command; {} = every component on its local default'),
        }),
      )
      .max(2000)
      .describe('slots that do not overlap each other; [] with mode replace clears the schedule'),
  })
  .describe('gridpilot schedule message (Scheduled MQTT control)');

/** JSON Schemas of the wire messages, as checked into docs/ (CI fails when they drift). */
export function wireJsonSchemas(): Record<string, unknown> {
  return {
    'command.schema.json': z.toJSONSchema(CommandDocSchema, { target: 'draft-2020-12' }),
    'feedback.schema.json': z.toJSONSchema(FeedbackSchema, { target: 'draft-2020-12' }),
    'schedule.schema.json': z.toJSONSchema(ScheduleDocSchema, { target: 'draft-2020-12' }),
  };
}
