"""quizzer: torch-verified flashcards and quizzes for deep-learning fundamentals."""

__version__ = "0.1.0"
