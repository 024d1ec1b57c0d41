"""The instructor's side of nbgrader's exchange, for a course that grades with its own pipeline.

On JupyterHub, students fetch lessons and submit them through nbgrader's exchange (a folder
every user can reach, ``Exchange.root``, set in the course's ``nbgrader_config.py``). The
round trip, each step nbgrader's own::

    instructor  pretraining-lab release --exchange    generate_assignment, release_assignment
    student     Assignments panel: Fetch, then Submit  (nbgrader fetch_assignment / submit)
    instructor  pretraining-lab collect               collect into submitted/
    instructor  pretraining-lab autograde             the course's pipeline (not nbgrader's)
    instructor  pretraining-lab feedback --release    generate_feedback, release_feedback
    student     Assignments panel: Fetch Feedback     (nbgrader fetch_feedback)

Only autograde is the course's own (``pretraining-lab autograde``); the exchange steps are
nbgrader's API, wrapped here so that a missing exchange folder is one clear error.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

from .directory import Course
from .release import NbGraderError, nbgrader_result


def exchange_root(course: Course) -> Path:
    """The exchange folder the course's configuration names; a ValueError if it is not
    set or does not exist (nbgrader's default, /srv/nbgrader/exchange, is a JupyterHub
    administrator's to create)."""
    root = course.config().Exchange.get("root")
    if not root:
        raise ValueError(f"no exchange is set for {course.root}: add c.Exchange.root = "
                         f"'/path/to/exchange' to {course.config_path} (on JupyterHub, the "
                         "folder all users' nbgrader configuration names)")
    if not Path(root).is_dir():
        raise ValueError(f"the exchange folder {root} (c.Exchange.root in {course.config_path}) "
                         "does not exist: create it, writable by every user (chmod 777), "
                         "or correct the setting")
    return Path(root)


def release_to_exchange(course: Course, lessons: Iterable[str]) -> list[str]:
    """nbgrader ``release_assignment`` for each released lesson (replacing an earlier
    release of it); the lessons released."""
    exchange_root(course)
    api = course.api()
    done = []
    for lesson in lessons:
        if not (course.release_dir / lesson).is_dir():
            raise ValueError(f"{lesson} is not released in {course.release_dir}: run "
                             "pretraining-lab release first")
        api.unrelease(lesson)  # nbgrader refuses to release twice; a re-release replaces
        nbgrader_result(api.release_assignment(lesson), f"release_assignment {lesson}")
        done.append(lesson)
    return done


def collect(course: Course, lessons: Sequence[str] = ()) -> dict[str, list[str]]:
    """nbgrader ``collect`` (newer submissions replace older ones) for each lesson (default:
    all in ``source/``); {lesson: the students whose submission is now in ``submitted/``}."""
    exchange_root(course)
    api = course.api()
    found = {}
    for lesson in lessons or course.lessons():
        nbgrader_result(api.collect(lesson, update=True), f"collect {lesson}")
        folder = course.submitted
        found[lesson] = sorted(p.name for p in folder.iterdir()
                               if (p / lesson).is_dir()) if folder.is_dir() else []
    return found


def release_feedback(course: Course, students: Sequence[str] = (),
                     lessons: Sequence[str] = ()) -> int:
    """nbgrader ``release_feedback`` of the generated feedback (all students, or those
    given) for each lesson; how many (student, lesson) folders of feedback were released."""
    exchange_root(course)
    api = course.api()
    released = 0
    for lesson in lessons or course.lessons():
        for student in students or _with_feedback(course, lesson):
            if not (course.feedback / student / lesson).is_dir():
                raise NbGraderError(f"no feedback for {student} / {lesson}: run "
                                    "pretraining-lab feedback first")
            nbgrader_result(api.release_feedback(lesson, student),
                            f"release_feedback {lesson} for {student}")
            released += 1
    return released


def _with_feedback(course: Course, lesson: str) -> list[str]:
    """Students with generated feedback for ``lesson``."""
    if not course.feedback.is_dir():
        return []
    return sorted(p.name for p in course.feedback.iterdir() if (p / lesson).is_dir())
