"""Reports: aggregates, small-cell protection, charts and exports."""
