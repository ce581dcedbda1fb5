"""Plans: diff desired against actual state into a Plan value; render, save and load it."""

from runner.plan.diff import plan_changes
from runner.plan.model import Actual, Change, Plan, PlanOptions, Writes

__all__ = ["Actual", "Change", "Plan", "PlanOptions", "Writes", "plan_changes"]
