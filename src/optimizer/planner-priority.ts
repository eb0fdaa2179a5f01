/**
 * The planner worker's nice value (19 = lowest priority, 0 = normal): a plan can wait, the control
 * cycle and the commands cannot, so on a small box the solver yields the CPU to them.
 */
export const PLANNER_NICE = 10;
