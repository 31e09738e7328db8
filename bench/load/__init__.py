"""The load test: locust journeys of the three roles and the checks made afterwards."""
