from services.kit.migrations import run_env
from services.standards.models import Base

run_env(Base.metadata)
