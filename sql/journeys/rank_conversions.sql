-- Numbers the run's conversions (run_conversions.sql, whose rows are in conversion id order)
-- from 1 in that order: conversion_rank, the order and the numbers of the converting journeys.
-- A parallel sort and this copy take less time than row_number() over the whole table, which
-- sorts on one core (3.5 M conversions, quiet machine: 1.1 to 1.4 s against 2.0 to 2.5 s).
-- DuckDB only. Grain: one row per conversion. Reads and replaces run_conversions. Params: none.
CREATE OR REPLACE TEMP TABLE run_conversions AS
SELECT rowid + 1 AS conversion_rank, *
FROM run_conversions
