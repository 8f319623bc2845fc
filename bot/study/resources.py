"""The learning resources of the course's study page, shown by /resources and the console."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Resource:
    name: str
    url: str
    note: str
    recommended: bool = False


# From the course's study page, which recommends Professor Leonard and the book.
RESOURCES = (
    Resource(
        "Professor Leonard: Calculus 1",
        "https://youtube.com/playlist?list=PLF797E961509B4EB5",
        "Full-length lectures that explain every step; the page's first pick to follow along.",
        recommended=True,
    ),
    Resource(
        "Calculus I with integrated Precalculus (textbook)",
        "https://a.co/d/5bpuEcg",
        "Reviews the algebra and trig as each calculus topic needs it; recommended with Leonard.",
        recommended=True,
    ),
    Resource(
        "3Blue1Brown: Essence of Calculus",
        "https://youtube.com/playlist?list=PLZHQObOWTQDMsr9K-rj53DwVRMYO3t5Yr",
        "Short animated videos for the intuition: what a derivative really is.",
    ),
    Resource(
        "Khan Academy: Calculus 1",
        "https://khanacademy.org/math/calculus-1",
        "Short lessons with practice exercises and instant feedback.",
    ),
    Resource(
        "MIT OpenCourseWare 18.01: Single Variable Calculus",
        "https://ocw.mit.edu/courses/18-01-single-variable-calculus-fall-2006/",
        "A complete university course: lectures, notes, problem sets and exams with solutions.",
    ),
    Resource(
        "Paul's Online Math Notes: Calculus I",
        "https://tutorial.math.lamar.edu/Classes/CalcI/CalcI.aspx",
        "Clear written notes with many worked examples, good for looking things up.",
    ),
    Resource(
        "Paul's derivatives cheat sheet (PDF)",
        "https://tutorial.math.lamar.edu/pdf/calculus_cheat_sheet_derivatives.pdf",
        "Every rule and standard derivative on two pages: keep it open while practising.",
    ),
)
