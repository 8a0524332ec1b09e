"""After-care (사후관리): the obligation period from go-live (``period``), tickets and their service levels
(``service``), and their routes (``endpoints``)."""
