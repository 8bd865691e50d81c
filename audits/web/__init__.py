"""The server-rendered pages, one module per area: auditors, managers' cycles, moderation,
actions and escalations, the dashboard, reports and internal audit. Views read through
audits.selectors.scoping and write through audits.services only."""
