from services.kit.migrations import run_env
from services.usecases.models import Base

run_env(Base.metadata)
