"""Processes on single values, element by element over arrays and cubes: maths, logic, comparisons,
texts and dates."""
