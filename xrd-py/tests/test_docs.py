"""The examples in the docstrings run and say what they show; help() reads well."""

import doctest
import pydoc

import xrd


def test_docstring_examples_run():
    objects = (xrd, xrd.Pattern, xrd.simulate, xrd.FeatureSpace, xrd.results,
               xrd.results.PeakList)
    for obj in objects:
        finder = doctest.DocTestFinder(recurse=False)
        runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
        globs = {"xrd": xrd, **vars(xrd.results)} if obj is xrd.results.PeakList else {"xrd": xrd}
        tests = finder.find(obj, globs=globs)
        assert tests and any(t.examples for t in tests), obj
        for t in tests:
            runner.run(t)
        assert runner.failures == 0, obj


def test_help_shows_signatures_and_keys():
    text = pydoc.render_doc(xrd.identify, renderer=pydoc.plaintext)
    assert "elements=None" in text and "weight_fraction_esd" in text
    text = pydoc.render_doc(xrd.refine, renderer=pydoc.plaintext)
    assert "phases" in text and "calculated" in text
